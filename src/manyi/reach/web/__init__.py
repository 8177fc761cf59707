"""Customer reach's pages and endpoints: the messages sent to customers and the words they use;
appointments (the phone pages, the JSON API for the bank's app, the staff list and the lobby
dashboard's card)."""
