return trim()
