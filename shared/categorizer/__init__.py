"""One categorizer of merchants and purchase descriptions, for OCR and insights alike.

Keyword rules (English and Bulgarian, matched on whole words) settle a category when they are
certain (``rules``); otherwise a scikit-learn model (TF-IDF character n-grams, a linear
classifier) trained on the labeled set kept in the repo answers (``categorizer``).
"""
