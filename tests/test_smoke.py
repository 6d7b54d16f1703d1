import bedrock_lifecycle


def test_version() -> None:
    assert bedrock_lifecycle.__version__
