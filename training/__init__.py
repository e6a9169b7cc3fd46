"""The workshop training material: parsing the modules (`training.content`) and checking the
exercises and snippets (`training.answers`). No Streamlit; the page only draws."""

from training.answers import *  # noqa: F403 - the package is the material's one interface
from training.content import *  # noqa: F403
