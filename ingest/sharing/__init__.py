"""Documents shared from the Diia app: the crypto provider, the acquirer client, deliveries."""
