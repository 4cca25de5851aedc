"""course_lib: every algorithm of "Sequence Models for NLP", implemented once and tested.

Parts of the course and the modules behind them:

1. language models and n-grams   -> course_lib.ngram, course_lib.arpa, course_lib.sampling
2. RNNs and backpropagation      -> course_lib.rnn (numpy), course_lib.torch_rnn, course_lib.lm
3. LSTM and GRU                  -> course_lib.lstm, course_lib.gru, course_lib.torch_lstm_gru
4-6. embeddings, attention, NMT  -> later

Shared foundations: course_lib.config (quick mode, seeds, device, data directory),
course_lib.text (tokenizers, Vocab, batching), course_lib.datasets (offline corpora),
course_lib.gradcheck (numerical gradients), course_lib.checks (argument checks),
course_lib.activations (sigmoid).
"""

__version__ = "0.1.0"
