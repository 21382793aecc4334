"""The one error of ``yaml_edit``, apart from it: the forms catch it without loading ruamel.yaml,
which only a form sent (a change to write) needs."""


class YamlEditError(ValueError):
    """The change cannot be written into this text (it would not read back as meant)."""
