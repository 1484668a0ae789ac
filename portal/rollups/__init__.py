"""Statistics rolled up the organization tree (DESIGN.md "Rollups").

Apps declare their figure sets (``Contributor``) in their AppConfig's ``rollup_contributors``;
see ``portal.rollups.registry`` for the contract.
``portal.rollups.engine`` computes and stores the snapshots; ``read_figures`` reads one.
"""

from portal.rollups.registry import (  # noqa: F401
    Contributor,
    RollupContext,
    contributors,
    get_contributor,
    nest,
    register,
    unregister,
)


def __getattr__(name):
    # The engine needs the models; import it lazily so apps can import the registry from
    # rollups.py while the app registry is still loading.
    import importlib

    if name == "engine":
        return importlib.import_module("portal.rollups.engine")
    engine = importlib.import_module("portal.rollups.engine")
    try:
        return getattr(engine, name)
    except AttributeError:
        raise AttributeError("module 'portal.rollups' has no attribute {!r}".format(name)) from None
