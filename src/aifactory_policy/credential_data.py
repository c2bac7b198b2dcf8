"""Credential material data, generated from policies/claude_code.json by ci/rule_data.py: edit the source, then run it."""

TOKEN_MARKER = 'sk-ant-'
TOKEN_PATTERN = 'sk-ant-[a-z]+[0-9]{2}-[A-Za-z0-9_-]{8,}'
TOKEN_PREFIX_PATTERN = 'sk-ant-[a-z]+[0-9]{2}-'
TOKEN_BODY_CHARS = 'A-Za-z0-9_-'
TOKEN_KINDS = {'oat': 'Claude OAuth access token', 'ort': 'Claude OAuth refresh token', 'api': 'Anthropic API key', 'admin': 'Anthropic admin API key'}
CREDENTIALS_KEY = 'claudeAiOauth'
CREDENTIALS_TOKEN_KEYS = ('accessToken', 'refreshToken')
CREDENTIALS_KEY_PATTERN = '"claudeAiOauth"[\\t\\n\\f\\r ]*:'
CREDENTIALS_TOKEN_PATTERN = '"(accessToken|refreshToken)"[\\t\\n\\f\\r ]*:[\\t\\n\\f\\r ]*"[^"]{8,}'
BASE64_OF = ('sk-ant-', 'claudeAiOauth')
BASE64_MARKERS = ('c2stYW50L', 'NrLWFudC', 'zay1hbnQt', 'Y2xhdWRlQWlPYXV0a', 'NsYXVkZUFpT2F1dG', 'jbGF1ZGVBaU9hdXRo')
BASE64_MIN_LENGTH = 16
TEXT_PATTERN = 'sk-ant-[a-z]+[0-9]{2}-[A-Za-z0-9_-]{8,}|"claudeAiOauth"[\\t\\n\\f\\r ]*:|c2stYW50L|NrLWFudC|zay1hbnQt|Y2xhdWRlQWlPYXV0a|NsYXVkZUFpT2F1dG|jbGF1ZGVBaU9hdXRo'
