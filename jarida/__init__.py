"""jarida: assistant over the Bulletin officiel."""
