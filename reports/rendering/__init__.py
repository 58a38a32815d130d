"""Output formats of released annual reports: PDF (WeasyPrint), charts (matplotlib, SVG), and
CSV/XLSX tables. Pure formatting: the callers pass the rows they read through selectors."""
