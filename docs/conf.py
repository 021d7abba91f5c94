"""Sphinx configuration of the ppl-models documentation.

Built by ``sphinx-build -W --keep-going -n docs docs/_build/html``. Nothing is fetched: no
intersphinx (the torch and Pyro documentation are linked by plain URL), no remote fonts or
images. Before the build this file writes three generated inputs (all ignored by git): the
Results page from ``benchmarks/results/``, one API page per public module, and one gallery
wrapper per ``examples/*.py`` that runs the example at its ``--smoke`` budget.
"""

import ast
import importlib.util
import os
import pkgutil
import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_NUM_THREADS", "1")

from docs import results_page  # noqa: E402

project = "ppl-models"
author = "ppl-models developers"
copyright = "2026, ppl-models developers"
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    # MathJax shipped with the site (copied into _static at the end of the build), so
    # formulas render offline and the build fetches nothing.
    "sphinx-mathjax-offline",
    "sphinx_gallery.gen_gallery",
    "sphinxcontrib.bibtex",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "_gallery_src", "**/README.md"]
html_theme = "furo"
html_title = "ppl-models"
html_static_path = []
myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 3
bibtex_bibfiles = ["references.bib"]
bibtex_default_style = "plain"
bibtex_reference_style = "author_year"
suppress_warnings = ["myst.header"]

# ----------------------------------------------------------------------------- autodoc
autodoc_member_order = "bysource"
autodoc_typehints = "none"  # the signatures show them; reST :param: lines name the types
autodoc_default_options = {"members": True, "undoc-members": True}
nitpicky = True
# External types have no page here (no intersphinx: the build fetches nothing), so a
# reference to them could only fail; they are named, not linked.
_EXTERNAL = (
    "torch", "torch.Tensor", "Tensor", "torch.nn.Module", "nn.Module", "torch.Size",
    "torch.device", "torch.dtype", "torch.Generator", "torch.optim.Optimizer",
    "TorchDistribution", "pyro.distributions.TorchDistribution", "numpy.ndarray",
    "np.ndarray", "Path", "pathlib.Path", "os.PathLike", "argparse.ArgumentParser",
    "argparse.Namespace", "optional", "callable", "iterable",
    # torch / Pyro names as the docstrings write them, unqualified
    "Module", "Distribution", "ExpandedDistribution", "Trace", "Parameter", "Optimizer",
    # private classes named in a module's prose; they have no page of their own
    "_NADELogits",
)
nitpick_ignore = [(role, name) for name in _EXTERNAL
                  for role in ("py:class", "py:obj", "py:data", "py:mod")]
# Whole external packages: any class, function or module of these.
nitpick_ignore_regex = [
    (r"py:.*", r"(torch|pyro|numpy|np|zuko|sklearn|scipy|arviz|matplotlib|torchmetrics|"
               r"tqdm|collections|typing|dataclasses|argparse|pathlib|os|json|tomllib|random)"
               r"(\..*)?"),
]

# ----------------------------------------------------------------------------- API pages
PACKAGES = ("ppl_models", "inference")


def _public_modules():
    for package in PACKAGES:
        yield package
        root = __import__(package)
        for info in pkgutil.walk_packages(root.__path__, package + "."):
            if not any(part.startswith("_") for part in info.name.split(".")):
                yield info.name


def _write_api_pages():
    """One page per public module, documenting what the module itself defines (a package's
    re-exports are documented where they are defined), so every object has one target."""
    import importlib

    folder = DOCS / "api"
    folder.mkdir(exist_ok=True)
    for old in folder.glob("*.rst"):
        old.unlink()
    for name in _public_modules():
        package = hasattr(importlib.import_module(name), "__path__")
        option = "   :ignore-module-all:\n" if package else ""
        (folder / f"{name}.rst").write_text(
            f"``{name}``\n{'=' * (len(name) + 4)}\n\n.. automodule:: {name}\n{option}",
            encoding="utf-8")


def _resolve_alias(app, env, node, contnode):
    """Resolve a Python reference the docstrings write by a public alias (a package's
    re-export, ``inference.training.AdversarialStep``) or unqualified from another module
    (``Game.draw``) to the one place the object is documented. Nothing else is guessed: a
    name that matches no documented object, or several, still fails the build."""
    import importlib

    from sphinx.util.nodes import make_refnode

    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"].lstrip("~.")
    domain = env.get_domain("py")
    objects = domain.objects
    candidates = []
    module_context, class_context = node.get("py:module"), node.get("py:class")
    # 1. the object's canonical path, found by importing what the name denotes
    contexts = ([f"{module_context}.{class_context}"] if module_context and class_context
                else []) + [module_context, None]
    for context in contexts:
        full = f"{context}.{target}" if context else target
        parts = full.split(".")
        for i in range(len(parts) - 1, 0, -1):
            try:
                obj = importlib.import_module(".".join(parts[:i]))
            except ImportError:
                continue
            try:
                for attr in parts[i:]:
                    obj = getattr(obj, attr)
            except AttributeError:
                break
            module = getattr(obj, "__module__", None)
            qualname = getattr(obj, "__qualname__", None)
            if module and qualname and f"{module}.{qualname}" in objects:
                candidates = [f"{module}.{qualname}"]
            elif not callable(obj) and not isinstance(obj, type):
                # a constant: link to the deepest module that holds it (where it is defined)
                holders = [m for m in sorted(sys.modules, key=lambda m: m.count("."))
                           if m.startswith(PACKAGES) and m in domain.modules
                           and vars(sys.modules[m]).get(parts[-1]) is obj]
                if holders:
                    entry = domain.modules[holders[-1]]
                    return make_refnode(app.builder, node["refdoc"], entry.docname,
                                        entry.node_id, contnode, holders[-1])
            break
        if candidates:
            break
    # 2. a unique documented object whose path ends with the name (constants, methods);
    #    where a package and its module both hold it, the deepest module defines it
    if not candidates:
        matches = sorted((k for k in objects if k == target or k.endswith("." + target)),
                         key=lambda k: k.count("."))
        if len(matches) == 1 or (len(matches) > 1 and matches[-1].count(".")
                                 > matches[-2].count(".")):
            candidates = [matches[-1]]
    # 3. an attribute autodoc does not list (a field of a NamedTuple): its class
    if not candidates and "." in target:
        owner = target.rpartition(".")[0].rpartition(".")[2]
        matches = [k for k in objects if (k == owner or k.endswith("." + owner))
                   and objects[k].objtype == "class"]
        if len(matches) == 1:
            candidates = matches
    if not candidates:
        return None
    entry = objects[candidates[0]]
    return make_refnode(app.builder, node["refdoc"], entry.docname, entry.node_id, contnode,
                        candidates[0])


def setup(app):
    app.connect("missing-reference", _resolve_alias)


# ----------------------------------------------------------------------------- gallery
GALLERY_SRC = DOCS / "_gallery_src"
RUNS = DOCS / "_build" / "gallery_runs"

WRAPPER = '''r"""
{title}
{underline}

{body}

``examples/{name}.py``, run here with ``{argv}``; its full source is below the
output.
"""

# %%
import importlib.util
from pathlib import Path

import matplotlib.pyplot as plt
import torch

torch.set_num_threads(1)
# sphinx-gallery runs this from docs/_gallery_src
spec = importlib.util.spec_from_file_location("{name}", Path("../../examples/{name}.py"))
example = importlib.util.module_from_spec(spec)
spec.loader.exec_module(example)
result = {call}

# %%
# The figures the example wrote, in the order it wrote them (the thumbnail is the last: the
# example's own figure, after those its training run wrote):
# sphinx_gallery_thumbnail_number = -1
out = Path("{out}")
if out.with_suffix(".png").is_file():  # an example whose --out names its one figure
    out = out.with_suffix(".png")
pngs = [out] if out.is_file() else sorted(out.glob("**/*.png"), key=lambda p: p.stat().st_mtime)
for png in pngs:
    image = plt.imread(png)
    fig = plt.figure(figsize=(8, 8 * image.shape[0] / image.shape[1]))
    plt.imshow(image)
    plt.axis("off")
    plt.title(png.name)

# %%
# The example's code
# ------------------
#
# .. literalinclude:: ../../examples/{name}.py
#    :language: python
'''


def _opening_clause(text):
    """``text`` up to its first colon, semicolon or sentence end outside parentheses."""
    depth = 0
    for i, c in enumerate(text):
        depth += (c == "(") - (c == ")")
        if depth == 0 and c in ":;" and text[i + 1:i + 2] == " ":
            return text[:i]
        if (depth == 0 and c == "." and text[i + 1:i + 2] == " "
                and text[i + 2:i + 3].isupper() and text[i - 1:i] != "."):
            return text[:i]
    return text.rstrip(".")


def _takes_out(path, source):
    """Whether the example at ``path`` has an ``--out`` option (its own, or the shared
    script options')."""
    if "def parse_args" not in source:
        return '"--out"' in source
    spec = importlib.util.spec_from_file_location(f"_gallery_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return hasattr(module.parse_args(["--smoke"]), "out")


def _write_gallery_wrappers():
    GALLERY_SRC.mkdir(exist_ok=True)
    for old in GALLERY_SRC.glob("*.py"):
        old.unlink()
    (GALLERY_SRC / "README.rst").write_text(
        "Examples\n========\n\nEvery script of ``examples/``, executed while this site is "
        "built, at its ``--smoke`` budget (seconds on a CPU: the figures show a barely "
        "trained model). Run one at full budget with ``python examples/NAME.py``.\n",
        encoding="utf-8")
    for path in sorted((ROOT / "examples").glob("*.py")):
        name = path.stem
        source = path.read_text(encoding="utf-8")
        doc = (ast.get_docstring(ast.parse(source)) or name).strip()
        # The title is the first paragraph's opening clause (up to its first colon or full
        # stop); the whole paragraph stays as the page's lead.
        paragraph, _, rest = doc.partition("\n\n")
        paragraph = " ".join(paragraph.split())
        first = _opening_clause(paragraph)
        rest = paragraph + "\n\n" + rest
        # The docstring's command lines are for a shell; keep its prose only.
        body = "\n".join(line for line in rest.splitlines()
                         if not line.strip().startswith("python "))
        body = re.sub(r"\|(\w[^|\n]*)\|", r"\|\1\|", body)  # |x| is not a substitution
        out = Path("..") / RUNS.relative_to(DOCS) / name
        argv = ["--smoke"] + (["--out", str(out)] if _takes_out(path, source) else [])
        (GALLERY_SRC / f"plot_{name}.py").write_text(WRAPPER.format(
            title=first, underline="=" * len(first), body=body.replace('"""', "'''").strip(),
            name=name, path=path, out=out, argv=" ".join(a if a != str(out) else "DIR"
                                                         for a in argv),
            call=(f"example.main(example.parse_args({argv!r}))" if "def parse_args" in source
                  else f"example.main({argv!r})")), encoding="utf-8")


sphinx_gallery_conf = {
    "examples_dirs": "_gallery_src",
    "gallery_dirs": "gallery",
    "filename_pattern": r"plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "matplotlib_animations": False,
    "write_computation_times": True,
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
    "reset_modules": ("matplotlib",),
    # two cores: two examples at a time (each on one thread)
    "parallel": 2,
}

results_page.main([])
_write_api_pages()
_write_gallery_wrappers()
