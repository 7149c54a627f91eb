"""Stage 2, the catalogue: the controls, as data, and the law they cite.

Takes in the control files under ``controls/`` (and a workspace's own control
folders), the commune's parameter overrides and the cantonal overlays.
Gives out a compiled :class:`Catalogue` (:mod:`.loader` reads, validates and
compiles; :mod:`.model` says what a control is): every CEL expression
compiled and checked against the evaluation context (:mod:`.cel`,
:mod:`.context`), also in a form reading leaf fields as variables of their
own (:mod:`.leaves`), and given a cost formula (:mod:`.cost`) when it loads,
with the citations of the canton that binds the commune (:mod:`.cantons`),
and the generated reference pages (:mod:`.docs`).

Reads inventory models only to know which fields a control may read.
"""

from conformite._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "cantons": ["CantonOverlay", "load_overlays"],
        "docs": ["write_pages"],
        "loader": ["load_catalogue"],
        "model": [
            "FAMILIES",
            "LANGUAGES",
            "OBJECTIVES",
            "SEVERITIES",
            "Catalogue",
            "CompiledControl",
            "Control",
            "LegalBasis",
            "Localized",
        ],
    },
)
