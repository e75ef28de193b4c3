"""E-mail intake: documents sent to the centre's mailbox (Diia.QR copies, plain e-mail)."""
