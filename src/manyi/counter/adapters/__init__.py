"""The counter's ports to the outside and their adapters: the core-banking port (`core`) and its
simulation (`simulated_core`), the ID-card reader and PIN pad (`peripherals`), the e-voucher PDF
(`voucher_pdf`), and which of them this process uses (`registry`).
"""
