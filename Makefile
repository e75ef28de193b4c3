# Convenience targets; the scripts they call are the source of truth.

.PHONY: services services-stop services-status

# Start PostgreSQL, Redis, MinIO and Elasticsearch on loopback and write .services.env
services:
	scripts/services.sh up

services-stop:
	scripts/services.sh stop

services-status:
	scripts/services.sh status
