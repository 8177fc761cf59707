"""The event stream's pure rules: the envelope and the subject each event is published on."""
