"""Model cards written beside trained weights: `card.json` (figures, for code and tests) and `README.md`."""

from __future__ import annotations

import json
from pathlib import Path


def _lines(value: object, depth: int = 0) -> list[str]:
    if isinstance(value, dict):
        out = []
        for key, item in value.items():
            if isinstance(item, dict):
                out += [f"{'  ' * depth}- **{key}**", *_lines(item, depth + 1)]
            else:
                out.append(f"{'  ' * depth}- **{key}**: {item}")
        return out
    return [f"{'  ' * depth}- {value}"]


def write_card(folder: Path, title: str, card: dict, reproduce: str) -> None:
    """Write `card.json` and a readable `README.md` (replacing the template peft saves there)."""
    (folder / "card.json").write_text(json.dumps(card, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    text = [f"# {title}", "", f"Reproduce: `{reproduce}` (seeded; figures below from that run).", "", *_lines(card)]
    (folder / "README.md").write_text("\n".join(text) + "\n", encoding="utf-8")


def adapter_folder(value: str, packaged: Path, setting: str, command: str) -> Path | None:
    """The adapter folder a setting names: "none" → None; empty → `packaged` if it was built, else None; a folder
    → that folder, which must hold an adapter (else a FileNotFoundError saying which command makes one)."""
    if value.lower() == "none":
        return None
    path = Path(value) if value else packaged
    if not (path / "adapter_config.json").is_file():
        if value:
            raise FileNotFoundError(f"no adapter in {path} (JARIDA_{setting.upper()}): run `{command}`")
        return None
    return path
