"""Static mode: answers from the models' canned examples (public path; the code lives in :mod:`._http.static`)."""

from ._http.static import StaticExample, StaticResponder, examples, shadowed_examples

__all__ = ["StaticExample", "StaticResponder", "examples", "shadowed_examples"]
