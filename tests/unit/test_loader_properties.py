"""Whatever a user writes into a scenario, loading gives a Scenario or a ScenarioError."""

import contextlib
import copy

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.scenario import Scenario, ScenarioError, parse_scenario
from tests.conftest import one_center

BASE = one_center(8)

values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-10, 10**6)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["6h", "200/d", "fifo", "a100", "choice", "exponential", "-1d", "0"]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)


def paths(data, prefix=()):
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from paths(value, (*prefix, index))


ALL_PATHS = list(paths(BASE))[1:]


def set_at(data, path, value):
    target = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(ALL_PATHS), values), min_size=1, max_size=3))
def test_mutated_scenarios_load_or_fail_cleanly(mutations):
    data = copy.deepcopy(BASE)
    for path, value in mutations:
        with contextlib.suppress(KeyError, IndexError, TypeError):
            set_at(data, path, value)  # fails where an earlier mutation removed the path
    text = yaml.safe_dump(data)
    try:
        scenario = parse_scenario(text, file="m.yaml")
    except ScenarioError as error:
        assert error.problems
        for problem in error.problems:
            assert str(problem).startswith("m.yaml")
            assert problem.message
    else:
        assert isinstance(scenario, Scenario)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_arbitrary_text_fails_cleanly(text):
    try:
        parse_scenario(text, file="t.yaml")
    except ScenarioError as error:
        assert error.problems
