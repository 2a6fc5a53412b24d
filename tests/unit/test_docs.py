"""docs/scenario.md is generated from the schema and must not drift from it; docs/outputs.md
describes every metric."""

from pathlib import Path

from sim.metrics import METRIC_DOCS
from sim.scenario.docs import schema_json, schema_markdown

DOCS = Path(__file__).parents[2] / "docs" / "scenario.md"


def test_docs_match_the_schema():
    assert DOCS.read_text(encoding="utf-8") == schema_markdown(), (
        "docs/scenario.md is stale: run `capsim schema --format markdown > docs/scenario.md`"
    )


def test_every_field_is_described():
    schema = schema_json()
    models = [schema, *schema["$defs"].values()]
    for model in models:
        for key, spec in model.get("properties", {}).items():
            if key == "kind":
                continue
            assert spec.get("description"), f"{model.get('title')}.{key} has no description"


def test_every_metric_is_in_the_output_contract():
    contract = (DOCS.parent / "outputs.md").read_text(encoding="utf-8")
    missing = [name for name in METRIC_DOCS if f"`{name}`" not in contract]
    assert not missing, f"docs/outputs.md does not describe {missing}"
