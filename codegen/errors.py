"""The generator's one error type."""


class SpecError(Exception):
    """The spec holds something the generator does not understand or cannot resolve."""
