"""The budget's read side: read models, their folds and the queries over them."""
