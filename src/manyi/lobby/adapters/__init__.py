"""Lobby hardware: the ticket slip and its QR code (`printing`) and ESC/POS printer bytes
(`escpos`).
"""
