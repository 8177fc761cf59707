"""Customer reach's pages: the messages sent to customers and the words they use."""
