"""ppl-models: deep generative models as explicit probabilistic programs in Pyro.

``ppl_models`` says *what* a model is (densities, guides, discriminators);
``inference`` says how it is fitted and judged. This package never imports ``inference``.
"""

__version__ = "0.1.0"
