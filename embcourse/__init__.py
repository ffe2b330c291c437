"""Helper package of the course *Embedding layers, from one-hot codes to machine translation*.

Each module mirrors a part of the course; a function's docstring names the
chapter that builds it in full. Names follow one vocabulary throughout:

==============  ==========================================================
name            meaning
==============  ==========================================================
``vocab_size``  number of rows of an embedding table (``V``)
``embed_dim``   length of one embedding vector (``D``)
``hidden_size`` width of a recurrent or hidden layer
``batch_size``  number of examples in a batch (``B``)
``seq_len``     number of positions in a (padded) sequence (``T``)
``num_epochs``  passes over the training data
``lr``          learning rate
``X``, ``y``    inputs and targets of a supervised task
``logits``      unnormalised scores before a softmax
``src``, ``tgt``  source and target token ids of a translation pair
``stoi``, ``itos``  token -> id dict and id -> token list
==============  ==========================================================

Nothing here changes global state at import time: call
:func:`embcourse.utils.set_seed` yourself at the top of a notebook.
"""

from embcourse.utils import claim, count_parameters, get_device, hardware, measure, set_seed

__all__ = ["claim", "count_parameters", "get_device", "hardware", "measure", "set_seed"]
