// Jarida citizen chat: streams answers from /chat/api/query (Server-Sent Events over fetch) and opens the cited
// articles from /chat/api/articles. Every piece of user or document text goes in through textContent.
"use strict";

const QUERY_URL = "/chat/api/query";
const ARTICLES_URL = "/chat/api/articles";
const MARKER = /\[\s*(\d{1,3}(?:\s*[,،;]\s*\d{1,3})*)\s*\]/g;
const ARABIC_LETTER = /[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]/g;
const LATIN_LETTER = /[A-Za-z\u00C0-\u024F]/g;
// A printed line that starts an item (1-, a), -, •, أ)…) or follows the end of a sentence keeps its line break.
const ITEM_START = /^\s*(?:\d{1,3}\s*[-.)°]|[a-zA-Z\u0600-\u06FF]\s?\)|[-–—•*]\s)/;
const LINE_END = /[.:;!?؟؛]\s*$/;
const SHORT_LINE = 40;

const MESSAGES = {
  fr: {
    tagline: "Le Bulletin officiel, article par article",
    disclaimer: "Information juridique, pas un conseil juridique. Vérifiez toujours le texte officiel cité.",
    intro_title: "Posez une question sur le droit marocain",
    intro_text: "Les réponses citent les articles publiés au Bulletin officiel. "
      + "Vous pouvez écrire en français, en arabe ou en darija.",
    question_label: "Votre question",
    placeholder: "Ex. : Quels sont mes droits sur mes données personnelles ?",
    filter_label: "Textes",
    filter_all: "Toutes les langues",
    filter_fr: "En français",
    filter_ar: "En arabe",
    send: "Envoyer",
    close: "Fermer",
    article_title: "Texte de l'article",
    you: "Vous",
    assistant: "Jarida",
    searching: "Recherche des articles…",
    writing: "Rédaction de la réponse…",
    status_grounded: "Réponse fondée sur les articles cités",
    status_no_match: "Aucun article ne répond à cette question",
    status_llm_unavailable: "Réponse indisponible : articles les plus proches",
    status_error: "Erreur",
    sources: "Articles cités",
    closest: "Articles les plus proches (à vérifier)",
    article: "Article",
    document: "Document sans article",
    page: "p.",
    pages: "pages",
    lang_fr: "français",
    lang_ar: "arabe",
    edition_fr: "Version française",
    edition_ar: "Version arabe",
    loading: "Chargement…",
    open_citation: "Ouvrir l'article cité",
    error_rate: "Trop de questions en peu de temps. Patientez un peu puis réessayez.",
    retry_after: "Nouvel essai possible dans {s} s.",
    error_network: "Le serveur est injoignable. Vérifiez votre connexion puis réessayez.",
    error_interrupted: "La réponse a été interrompue. Réessayez.",
    error_server: "Le serveur n'a pas pu répondre",
    error_article: "Impossible d'ouvrir cet article",
    empty_question: "Écrivez d'abord une question.",
  },
  ar: {
    tagline: "الجريدة الرسمية، مادة بمادة",
    disclaimer: "معلومات قانونية وليست استشارة قانونية. تحقق دائماً من النص الرسمي المستشهد به.",
    intro_title: "اطرح سؤالاً حول القانون المغربي",
    intro_text: "تستشهد الأجوبة بالمواد المنشورة في الجريدة الرسمية. يمكنك الكتابة بالعربية أو الفرنسية أو الدارجة.",
    question_label: "سؤالك",
    placeholder: "مثال: ما هي حقوقي على معطياتي الشخصية؟",
    filter_label: "النصوص",
    filter_all: "كل اللغات",
    filter_fr: "بالفرنسية",
    filter_ar: "بالعربية",
    send: "إرسال",
    close: "إغلاق",
    article_title: "نص المادة",
    you: "أنت",
    assistant: "جريدة",
    searching: "جارٍ البحث عن المواد…",
    writing: "جارٍ تحرير الجواب…",
    status_grounded: "جواب مستند إلى المواد المستشهد بها",
    status_no_match: "لا توجد مادة تجيب عن هذا السؤال",
    status_llm_unavailable: "الجواب غير متاح: أقرب المواد",
    status_error: "خطأ",
    sources: "المواد المستشهد بها",
    closest: "أقرب المواد (للتحقق)",
    article: "المادة",
    document: "وثيقة بدون مواد",
    page: "ص.",
    pages: "الصفحات",
    lang_fr: "الفرنسية",
    lang_ar: "العربية",
    edition_fr: "النسخة الفرنسية",
    edition_ar: "النسخة العربية",
    loading: "جارٍ التحميل…",
    open_citation: "فتح المادة المستشهد بها",
    error_rate: "أسئلة كثيرة في وقت قصير. انتظر قليلاً ثم أعد المحاولة.",
    retry_after: "يمكنك المحاولة من جديد بعد {s} ثانية.",
    error_network: "تعذر الاتصال بالخادم. تحقق من اتصالك ثم أعد المحاولة.",
    error_interrupted: "انقطع الجواب. أعد المحاولة.",
    error_server: "تعذر على الخادم الجواب",
    error_article: "تعذر فتح هذه المادة",
    empty_question: "اكتب سؤالاً أولاً.",
  },
};

let uiLang = "fr";

function knownLanguage(lang) {
  return typeof lang === "string" && Object.hasOwn(MESSAGES, lang);
}

function t(key, lang) {
  const chosen = knownLanguage(lang) ? lang : uiLang;
  return MESSAGES[chosen][key] ?? MESSAGES.fr[key] ?? key;
}

// Interface text: `data-i18n` names its message, in the interface language unless `data-msg-lang` fixes it (the
// labels around an answer follow the question's language). Labels inside messages are isolated (<bdi>).
function writeLabel(node) {
  const text = t(node.dataset.i18n, node.dataset.msgLang);
  if ("isolate" in node.dataset) node.replaceChildren(el("bdi", null, text));
  else node.textContent = text;
  if (node.dataset.msgLang) node.lang = node.dataset.msgLang;
}

function label(tag, className, key, lang) {
  const node = el(tag, className);
  node.dataset.isolate = "";
  if (knownLanguage(lang)) node.dataset.msgLang = lang;
  relabel(node, key);
  return node;
}

function relabel(node, key, lang) {
  node.dataset.i18n = key;
  if (knownLanguage(lang)) node.dataset.msgLang = lang;
  writeLabel(node);
}

// ---- small DOM helpers -------------------------------------------------------------------------------------------

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function isArabicText(text) {
  const arabic = (String(text).match(ARABIC_LETTER) || []).length;
  const latin = (String(text).match(LATIN_LETTER) || []).length;
  return arabic > 0 && arabic >= latin;
}

// The direction of a block follows its own text, whatever the interface language.
function setTextDirection(node, text, lang) {
  const rtl = lang ? lang === "ar" : isArabicText(text);
  node.dir = rtl ? "rtl" : "ltr";
  node.lang = rtl ? "ar" : "fr";
}

function scrollToEnd() {
  window.scrollTo({ top: document.body.scrollHeight, behavior: "smooth" });
}

// ---- interface language -----------------------------------------------------------------------------------------

function applyInterfaceLanguage(lang) {
  uiLang = knownLanguage(lang) ? lang : "fr";
  const html = document.documentElement;
  html.lang = uiLang;
  html.dir = uiLang === "ar" ? "rtl" : "ltr";
  for (const node of document.querySelectorAll("[data-i18n]")) writeLabel(node);
  for (const node of document.querySelectorAll("[data-i18n-placeholder]")) {
    node.placeholder = t(node.dataset.i18nPlaceholder);
  }
  for (const button of document.querySelectorAll(".lang-button")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === uiLang));
  }
  try {
    localStorage.setItem("jarida.lang", uiLang);
  } catch (_) {
    // storage may be disabled: the choice then lasts for this page only
  }
}

function initialLanguage() {
  const fromUrl = new URLSearchParams(location.search).get("lang");
  if (knownLanguage(fromUrl)) return fromUrl;
  try {
    const saved = localStorage.getItem("jarida.lang");
    if (knownLanguage(saved)) return saved;
  } catch (_) {
    // ignore
  }
  return (navigator.language || "fr").toLowerCase().startsWith("ar") ? "ar" : "fr";
}

// ---- Server-Sent Events over fetch ------------------------------------------------------------------------------

function parseSseBlock(block) {
  let event = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
  }
  return data.length ? { event, data: data.join("\n") } : null;
}

async function* readSse(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    buffer += decoder.decode(value || new Uint8Array(), { stream: !done });
    buffer = buffer.replace(/\r\n?/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) !== -1) {
      const parsed = parseSseBlock(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (parsed) yield parsed;
    }
    if (done) break;
  }
  const rest = parseSseBlock(buffer.trim());
  if (rest) yield rest;
}

// ---- errors -------------------------------------------------------------------------------------------------------

class ChatError extends Error {}

async function errorOf(response) {
  if (response.status === 429) {
    const seconds = Number.parseInt(response.headers.get("Retry-After") || "", 10);
    const wait = Number.isFinite(seconds) ? ` ${t("retry_after").replace("{s}", String(seconds))}` : "";
    return new ChatError(t("error_rate") + wait);
  }
  let detail = "";
  try {
    const body = await response.json();
    detail = body?.error?.message || (typeof body?.detail === "string" ? body.detail : "");
  } catch (_) {
    // not JSON: the status is all we have
  }
  const head = `${t("error_server")} (HTTP ${response.status})`;
  return new ChatError(detail ? `${head} : ${detail}` : `${head}.`);
}

function errorFromEvent(data) {
  const error = data?.error || data || {};
  if (error.code === 429 || error.code === "rate_limited") return new ChatError(t("error_rate"));
  return new ChatError(error.message ? `${t("error_server")} : ${error.message}` : t("error_interrupted"));
}

// ---- one exchange -------------------------------------------------------------------------------------------------

function addUserMessage(question) {
  const item = el("li", "message message-user");
  item.append(label("div", "message-author", "you"));
  const body = el("p", "message-text", question);
  setTextDirection(body, question);
  item.append(body);
  document.getElementById("messages").append(item);
}

// The assistant block: its status line, the answer text, a notice and the citations, filled in as events come.
function addAssistantMessage() {
  const item = el("li", "message message-assistant");
  item.setAttribute("aria-busy", "true");
  const parts = {
    item,
    status: label("div", "status status-pending", "searching"),
    answer: el("div", "answer streaming"),
    notice: el("p", "notice"),
    sources: el("section", "sources"),
    streamed: "",
  };
  parts.notice.hidden = true;
  parts.sources.hidden = true;
  item.append(label("div", "message-author", "assistant"), parts.status, parts.answer, parts.notice, parts.sources);
  document.getElementById("messages").append(item);
  return parts;
}

function setStatus(parts, kind, key, lang) {
  parts.status.className = `status status-${kind}`;
  relabel(parts.status, key, lang);
  parts.item.dataset.status = kind;
}

function onRetrieved(parts) {
  setStatus(parts, "pending", "writing");
}

function onDelta(parts, data) {
  parts.streamed += data.text || "";
  parts.answer.textContent = parts.streamed;
  setTextDirection(parts.answer, parts.streamed);
}

function onDone(parts, answer) {
  const status = ["grounded", "no_match", "llm_unavailable"].includes(answer.status) ? answer.status : "no_match";
  // the labels around the answer speak the answer's language (an Arabic question: Arabic labels)
  const lang = knownLanguage(answer.lang) ? answer.lang : uiLang;
  setStatus(parts, status, `status_${status}`, lang);
  relabel(parts.item.querySelector(".message-author"), "assistant", lang);
  setTextDirection(parts.item, answer.answer || answer.notice || "", answer.lang);
  parts.answer.classList.remove("streaming");
  // grounded: the cited articles; no_match and llm_unavailable: the closest articles, listed to be checked
  const cited = status === "grounded" ? answer.citations || [] : [];
  const listed = status === "grounded" ? cited : answer.retrieved || [];
  renderAnswerText(parts.answer, answer.answer || "", cited, answer.lang);
  if (answer.notice) {
    parts.notice.textContent = answer.notice;
    setTextDirection(parts.notice, answer.notice);
    parts.notice.hidden = false;
  }
  renderCitationList(parts.sources, listed, status === "grounded" ? "sources" : "closest", lang);
}

function onFailure(parts, error) {
  setStatus(parts, "error", "status_error");
  parts.answer.classList.remove("streaming");
  const text = error instanceof ChatError ? error.message : t("error_network");
  parts.answer.replaceChildren(el("p", "error-text", text));
  setTextDirection(parts.answer, text, uiLang);
}

async function ask(question, filters) {
  addUserMessage(question);
  const parts = addAssistantMessage();
  scrollToEnd();
  try {
    const response = await fetch(QUERY_URL, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify({ question, filters, stream: true }),
    });
    if (!response.ok) throw await errorOf(response);
    let finished = false;
    for await (const { event, data } of readSse(response)) {
      const payload = JSON.parse(data);
      if (event === "retrieved") onRetrieved(parts);
      else if (event === "delta") onDelta(parts, payload);
      else if (event === "done") {
        onDone(parts, payload);
        finished = true;
      } else if (event === "error") throw errorFromEvent(payload);
      scrollToEnd();
    }
    if (!finished) throw new ChatError(t("error_interrupted"));
  } catch (error) {
    onFailure(parts, error);
  } finally {
    parts.item.removeAttribute("aria-busy");
    scrollToEnd();
  }
}

// ---- answer text and citations -----------------------------------------------------------------------------------

function citationChip(n, citation) {
  const chip = el("button", "chip", String(n));
  chip.type = "button";
  chip.dataset.n = String(n);
  chip.title = `${t("open_citation")} : ${citationLabel(citation)}`;
  chip.setAttribute("aria-label", chip.title);
  chip.addEventListener("click", () => openArticle(citation));
  return chip;
}

// One paragraph of answer text with each `[n]` marker turned into a chip (unknown numbers stay as text).
function paragraphWithChips(text, byN) {
  const paragraph = el("p");
  let last = 0;
  for (const match of text.matchAll(MARKER)) {
    paragraph.append(document.createTextNode(text.slice(last, match.index)));
    for (const number of match[1].match(/\d+/g)) {
      const citation = byN.get(Number(number));
      paragraph.append(citation ? citationChip(Number(number), citation) : document.createTextNode(`[${number}]`));
    }
    last = match.index + match[0].length;
  }
  paragraph.append(document.createTextNode(text.slice(last)));
  return paragraph;
}

function renderAnswerText(container, text, citations, lang) {
  const byN = new Map(citations.map((c) => [c.n, c]));
  container.replaceChildren();
  for (const block of text.split(/\n\s*\n/)) {
    if (block.trim()) container.append(paragraphWithChips(block.trim(), byN));
  }
  container.hidden = !text.trim();
  setTextDirection(container, text, text.trim() ? undefined : lang);
}

function articleLabel(citation, lang) {
  if (citation.heading) return citation.heading;
  if (!citation.article) return t("document", lang);
  return `${t("article", lang)} ${citation.article}`;
}

function citationLabel(citation) {
  return `${citation.law_title || citation.law_id}, ${articleLabel(citation)}`;
}

// The sentence(s) of the article that match the question (chosen by the server), highlighted, in the article's
// own direction: shown without a click, whatever the answer's status.
function passageBlock(citation) {
  const quote = el("blockquote", "passage");
  setTextDirection(quote, citation.passage, citation.lang);
  quote.append(el("mark", null, citation.passage));
  return quote;
}

function citationItem(citation, lang) {
  const item = el("li", "citation");
  const button = el("button", "citation-open");
  button.type = "button";
  setTextDirection(button, `${citation.law_title} ${citation.heading}`, citation.lang);
  button.addEventListener("click", () => openArticle(citation));
  button.append(el("span", "chip chip-static", String(citation.n)));
  const details = el("span", "citation-details");
  const title = el("span", "citation-title", citation.law_title || citation.law_id);
  const article = el("span", "citation-article", articleLabel(citation, lang));
  details.append(title, article);
  const meta = el("span", "citation-meta");
  const langName = knownLanguage(citation.lang)
    ? label("span", "citation-lang", `lang_${citation.lang}`, lang)
    : el("span", "citation-lang", citation.lang);
  meta.append(langName);
  if (citation.bo_ref) {
    const ref = el("span", "citation-bo", citation.bo_ref);
    setTextDirection(ref, citation.bo_ref);
    meta.append(ref);
  }
  if (citation.page) meta.append(el("span", "citation-page", `${t("page", lang)} ${citation.page}`));
  button.append(details, meta);
  item.append(button);
  if (citation.passage) item.append(passageBlock(citation));
  return item;
}

function renderCitationList(section, citations, headingKey, lang) {
  section.replaceChildren();
  section.hidden = citations.length === 0;
  if (!citations.length) return;
  section.append(label("h3", "sources-title", headingKey, lang));
  const list = el("ol", "citation-list");
  for (const citation of citations) list.append(citationItem(citation, lang));
  section.append(list);
}

// ---- article dialog ------------------------------------------------------------------------------------------------

// The text as printed keeps the PDF's line breaks: join the lines of a paragraph; keep apart list items, titles
// (short lines) and lines after the end of a sentence.
function reflow(text) {
  const paragraphs = [];
  let previous = "";
  for (const raw of String(text).split("\n")) {
    const line = raw.trim();
    const joins = previous && line && previous.length >= SHORT_LINE && !LINE_END.test(previous) && !ITEM_START.test(line);
    if (joins) paragraphs[paragraphs.length - 1] += ` ${line}`;
    else paragraphs.push(line);
    previous = line;
  }
  return paragraphs.join("\n");
}

function editionSection(edition, article) {
  const section = el("article", "edition");
  setTextDirection(section, edition.text, edition.lang);
  const known = knownLanguage(edition.lang);
  section.append(known ? label("div", "edition-lang", `edition_${edition.lang}`) : el("div", "edition-lang", edition.lang));
  section.append(el("h3", "edition-title", edition.law_title));
  if (edition.breadcrumb?.length) section.append(el("p", "edition-breadcrumb", edition.breadcrumb.join(" › ")));
  const word = known ? MESSAGES[edition.lang].article : t("article");
  const heading = edition.heading || (article ? `${word} ${article}` : "");
  if (heading) section.append(el("h4", "edition-heading", heading));
  section.append(el("div", "edition-text", reflow(edition.text)));
  const meta = [edition.bo_ref, edition.pages?.length ? `${t("pages")} ${edition.pages.join(", ")}` : ""];
  const footer = el("p", "edition-meta", meta.filter(Boolean).join(" — "));
  if (footer.textContent) section.append(footer);
  return section;
}

// Every edition of the article (no `lang`): the cited one is shown first, the other language after it.
function articleUrl(citation) {
  const path = [citation.law_id, citation.article].map((part) => encodeURIComponent(part)).join("/");
  return `${ARTICLES_URL}/${path}`;
}

async function openArticle(citation) {
  const dialog = document.getElementById("article-dialog");
  const body = document.getElementById("article-body");
  body.replaceChildren(el("p", "loading", t("loading")));
  body.setAttribute("aria-busy", "true");
  if (!dialog.open) dialog.showModal();
  try {
    const response = await fetch(articleUrl(citation), { headers: { Accept: "application/json" } });
    if (!response.ok) throw await errorOf(response);
    const data = await response.json();
    // The cited edition first, then the other language.
    const editions = [...(data.editions || [])].sort((a, b) => (b.lang === citation.lang) - (a.lang === citation.lang));
    body.replaceChildren(...editions.map((edition) => editionSection(edition, data.article)));
    if (!editions.length) body.replaceChildren(el("p", "error-text", t("error_article")));
  } catch (error) {
    const text = error instanceof ChatError ? error.message : t("error_network");
    body.replaceChildren(el("p", "error-text", `${t("error_article")}. ${text}`));
  } finally {
    body.removeAttribute("aria-busy");
    body.scrollTop = 0;
  }
}

// ---- wiring ----------------------------------------------------------------------------------------------------------

function currentFilters() {
  const lang = document.getElementById("filter-lang").value;
  return lang ? { lang } : undefined;
}

async function onSubmit(event) {
  event.preventDefault();
  const input = document.getElementById("question");
  const send = document.getElementById("send");
  const question = input.value.trim();
  if (!question) {
    input.setCustomValidity(t("empty_question"));
    input.reportValidity();
    return;
  }
  input.value = "";
  send.disabled = true;
  document.getElementById("intro").hidden = true;
  try {
    await ask(question, currentFilters());
  } finally {
    send.disabled = false;
    input.focus();
  }
}

function init() {
  applyInterfaceLanguage(initialLanguage());
  for (const button of document.querySelectorAll(".lang-button")) {
    button.addEventListener("click", () => applyInterfaceLanguage(button.dataset.lang));
  }
  const form = document.getElementById("composer");
  const input = document.getElementById("question");
  form.addEventListener("submit", onSubmit);
  input.addEventListener("input", () => input.setCustomValidity(""));
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  const dialog = document.getElementById("article-dialog");
  document.getElementById("article-close").addEventListener("click", () => dialog.close());
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) dialog.close(); // a click on the backdrop
  });
}

document.addEventListener("DOMContentLoaded", init);
