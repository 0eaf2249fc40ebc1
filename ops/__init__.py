"""Running the help desk in production: health checks, rate limits, outage pages."""
