"""Rules of the fixture pack: one good, one listed through a callable, and
three that the registry or the engine must contain."""

from auditor.rulebase import Fail, Rule, RuleParams, Undecided
from auditor.values import is_known


class NameConfigs(Rule):
    """Endpoint configs carry an explicit name.

    ## What it checks
    EndpointConfigName is set.
    ## Why
    Named configs are easier to trace.
    ## Example
    EndpointConfigName: churn-v3
    ## Fix
    Set EndpointConfigName.
    """

    id = "XPK101"
    slug = "named-endpoint-configs"
    title = "Endpoint configs are named"
    level = "warning"
    policy = "Every endpoint config has an explicit name."
    targets = ("EndpointConfig",)

    class Params(RuleParams):
        prefix: str = ""

    def check(self, res, ctx):
        name = res.EndpointConfigName
        if name is None:
            yield Fail((), f"endpoint config {res.label} has no EndpointConfigName; the pack wants one")
        elif not is_known(name):
            yield Undecided(("EndpointConfigName",), "the name cannot be determined")
        elif not name.startswith(self.params.prefix):
            yield Fail(("EndpointConfigName",), f"name {name} does not start with {self.params.prefix!r}")


class CountModels(Rule):
    """Notes every model (registered through a callable entry point).

    ## What it checks
    Nothing real.
    """

    id = "XPK102"
    slug = "count-models"
    title = "Models are counted"
    level = "note"
    policy = "Models exist."
    targets = ("Model",)

    def check(self, res, ctx):
        yield Fail((), f"model {res.label} seen by the fixture pack")


def more_rules():
    return [CountModels]


class DuplicateId(Rule):
    """Claims a built-in ID."""

    id = "SM201"
    slug = "fixture-duplicate"
    title = "Duplicate"
    policy = "x"
    targets = ("Model",)


class MalformedId(Rule):
    """A malformed ID."""

    id = "bad id!"
    slug = "fixture-malformed"
    title = "Malformed"
    policy = "x"
    targets = ("Model",)


class Raises(Rule):
    """Crashes on every model."""

    id = "XPK900"
    slug = "fixture-raises"
    title = "Raises"
    policy = "x"
    targets = ("Model",)

    def check(self, res, ctx):
        raise ZeroDivisionError("fixture pack bug")
