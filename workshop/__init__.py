"""The workshop training material: parsing the modules (`workshop.content`) and checking the
exercises and snippets (`workshop.answers`). No Streamlit; the page only draws."""

from workshop.answers import *  # noqa: F403 - the package is the material's one interface
from workshop.content import *  # noqa: F403
