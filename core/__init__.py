"""What every package stands on: the database, the job queue, security, the JSON API and mail."""
