"""Stage 1, the inventory: what the commune says about itself.

Takes in the workspace's files: ``conformite.toml`` (:mod:`.config`), the
YAML inventory of organisation facts, services, vendors and waivers
(:mod:`.model`), and the probe's saved observations (:mod:`.observations`).
Gives out validated models, every problem located by file, line, column and
field (:mod:`.safe_yaml` reads YAML and :mod:`.safe_xlsx` spreadsheets
safely, bounded and with positions; :mod:`.validation` turns validation
errors into located problems; :mod:`.urls` is the one rule for endpoint
URLs that ``validate`` and the probe share), the
reference vocabularies the facts are written in (:mod:`.reference`) and the
JSON Schemas of the input files (:mod:`.schemas`).

Nothing here knows about controls, scores or reports.
"""

from conformite._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "config": ["CANTONS", "CONFIG_FILE", "Config", "load_config"],
        "model": ["INVENTORY_FILES", "Inventory", "Service", "Vendor", "Waiver"],
        "observations": ["Observation", "ObservationFile", "latest_observations"],
        "reference": ["LEVELS", "ReferenceData", "load_reference"],
        "safe_yaml": ["YamlDocument", "load_yaml_file", "load_yaml_text"],
        "schemas": ["inventory_schema"],
        "validation": ["problems_from_validation_error", "read_model"],
    },
)
