"""Scripts that write the generated parts of README.md and of the documentation site."""
