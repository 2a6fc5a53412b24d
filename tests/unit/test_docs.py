"""docs/scenario.md is generated from the schema and must not drift from it; docs/outputs.md
describes every metric."""

from pathlib import Path

import yaml

from sim.metrics import METRIC_DOCS
from sim.scenario.docs import schema_json, schema_markdown
from sim.scenario.schema import Scenario

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


class _NoDuplicateKeys(yaml.SafeLoader):
    """A loader that refuses a key given twice in one mapping (PyYAML keeps the last)."""

    def construct_mapping(self, node, deep=False):
        keys = [self.construct_object(key, deep=deep) for key, _ in node.value]
        duplicated = {key for key in keys if keys.count(key) > 1}
        assert not duplicated, f"line {node.start_mark.line + 1}: {duplicated} given twice"
        return super().construct_mapping(node, deep=deep)


def test_the_readme_scenario_with_every_key_is_valid():
    readme = (DOCS.parents[1] / "README.md").read_text(encoding="utf-8")
    example = readme.split("## A scenario with every key")[1].split("```yaml")[1].split("```")[0]
    # The one abbreviation a reader is meant to fill in: an inference load's 24 hourly values.
    assert example.count("...") == 1
    example = example.replace("[0.3, 0.2, ...]", str([0.3, 0.2] + [1.0] * 22))
    data = yaml.load(example, Loader=_NoDuplicateKeys)
    scenario = Scenario.model_validate(data)
    assert {"growing", "bursty", "replay", "pretraining"} <= {w.name for w in scenario.workload}
