"""The counter's ports to the outside and their adapters: the core-banking port (`core`) and its
simulation (`simulated_core`), the ID-card reader (`id_reader`), the PIN pad and its PIN block
(`pin_pad`) with their common `DeviceError` (`devices`), the e-voucher PDF (`voucher_pdf`), and
which of them this process uses (`registry`).
"""
