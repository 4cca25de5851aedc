"""course_lib: every algorithm of "Sequence Models for NLP", implemented once and tested.

Parts of the course and the modules behind them:

1. language models and n-grams   -> course_lib.ngram, course_lib.arpa, course_lib.sampling
2. RNNs and backpropagation      -> course_lib.rnn (numpy), course_lib.torch_rnn, course_lib.lm
3. LSTM and GRU                  -> course_lib.lstm, course_lib.gru, course_lib.torch_lstm_gru
4. tokenization and embeddings  -> course_lib.bpe, course_lib.word2vec, course_lib.word_vectors
5. attention                     -> course_lib.attention, course_lib.hierarchical,
                                    course_lib.attention_data
6. seq2seq NMT                   -> course_lib.parallel_data, course_lib.seq2seq,
                                    course_lib.decoding, course_lib.metrics

Shared foundations: course_lib.config (quick mode, seeds, device, data directory),
course_lib.text (tokenizers, Vocab), course_lib.batching (padding, lengths, bucketing by
length, source/target pairs), course_lib.datasets (offline corpora),
course_lib.gradcheck (numerical gradients), course_lib.checks (argument checks),
course_lib.activations (sigmoid).
"""

__version__ = "0.1.0"
