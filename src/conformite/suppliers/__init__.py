"""Vetting suppliers with the audit's own controls: before signing, and by questionnaire.

Takes in a candidate vendor (a YAML offer, a supplier profile, or a vendor's
filled questionnaire) and the catalogue. :mod:`.screening` runs the supplier
controls on it through the engine and gives out a verdict for procurement;
:mod:`.questionnaire` writes the questions a vendor answers (XLSX or YAML)
and :mod:`.answers` reads the answers back into an inventory vendor entry,
every wrong cell located; :mod:`.prefill` writes one inventory vendor's
questionnaire (known facts filled in, unknown ones open) and merges its
answers back into that vendor's entry.

Shared supplier facts (signed profiles) feed inventories from
:mod:`conformite.profiles`, below the engine.
"""

from conformite._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "answers": ["import_answers", "vendor_entry_yaml"],
        "prefill": ["merge_answers", "prefill"],
        "questionnaire": ["QUESTIONS", "TABLES", "export_yaml"],
        "questionnaire_xlsx": ["export_xlsx"],
        "screening": [
            "Candidate",
            "ScreeningResult",
            "candidate_from_profile",
            "load_candidate",
            "screen_vendor",
        ],
    },
)
