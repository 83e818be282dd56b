"""Tools for the people who keep the bot: evaluation, content lint, benchmarks and conversation scripts."""
