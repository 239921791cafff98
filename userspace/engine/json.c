// SPDX-License-Identifier: GPL-2.0
/*
 * json.c - just enough JSON to read what an engine wrote about a
 * container: a bundle's config.json, containers/storage's
 * containers.json, Docker's config.v2.json.
 *
 * The text is split into tokens the way jsmn does (each value one token,
 * its children after it), so lookups walk an array instead of reparsing.
 * Strings stay encoded until json_string() decodes one.  Every file read
 * is written by the engine, but the names in it are the user's: a
 * document that is not strict JSON, nests deeper than JSON_DEPTH_MAX or is
 * larger than JSON_TEXT_MAX is refused as a whole.
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"

struct json_parser {
	const char *text;
	size_t len, pos;
	struct json_doc *doc;
	size_t capacity;
};

static void skip_space(struct json_parser *p)
{
	while (p->pos < p->len && strchr(" \t\r\n", p->text[p->pos]) && p->text[p->pos])
		p->pos++;
}

static int new_token(struct json_parser *p, enum json_type type)
{
	struct json_doc *doc = p->doc;

	if ((size_t)doc->count == p->capacity) {
		size_t capacity = p->capacity ? 2 * p->capacity : 64;
		struct json_token *tokens = realloc(doc->tokens, capacity * sizeof(*tokens));

		if (!tokens)
			return -1;
		doc->tokens = tokens;
		p->capacity = capacity;
	}
	doc->tokens[doc->count] = (struct json_token){ .type = type, .start = p->pos };
	return doc->count++;
}

/* A string's extent: from after the opening quote to before the closing. */
static int scan_string(struct json_parser *p)
{
	int t;

	p->pos++;
	t = new_token(p, JSON_STRING);
	if (t < 0)
		return -1;
	p->doc->tokens[t].start = p->pos;
	while (p->pos < p->len) {
		unsigned char c = p->text[p->pos];

		if (c == '"') {
			p->doc->tokens[t].end = p->pos++;
			p->doc->tokens[t].next = p->doc->count;
			return t;
		}
		if (c < 0x20)
			return -1;
		if (c == '\\') {
			if (++p->pos >= p->len)
				return -1;
			c = p->text[p->pos];
			if (c == 'u') {
				for (int k = 1; k <= 4; k++) {
					char h = p->pos + k < p->len ? p->text[p->pos + k] : '\0';

					if (!h || !strchr("0123456789abcdefABCDEF", h))
						return -1;
				}
				p->pos += 4;
			} else if (!c || !strchr("\"\\/bfnrt", c)) {
				return -1;
			}
		}
		p->pos++;
	}
	return -1;
}

/* true, false, null or a number; strict enough not to take garbage. */
static int scan_primitive(struct json_parser *p)
{
	size_t start = p->pos;
	int t = new_token(p, JSON_PRIMITIVE);
	size_t n;

	if (t < 0)
		return -1;
	while (p->pos < p->len && p->text[p->pos] &&
	       strchr("0123456789+-.eEtruefalsn", p->text[p->pos]))
		p->pos++;
	n = p->pos - start;
	if (n == 0)
		return -1;
	if (strchr("tfn", p->text[start]) &&
	    !((n == 4 && !memcmp(p->text + start, "true", 4)) ||
	      (n == 5 && !memcmp(p->text + start, "false", 5)) ||
	      (n == 4 && !memcmp(p->text + start, "null", 4))))
		return -1;
	if (!strchr("tfn", p->text[start]) && !strchr("-0123456789", p->text[start]))
		return -1;
	p->doc->tokens[t].end = p->pos;
	p->doc->tokens[t].next = p->doc->count;
	return t;
}

static int scan_value(struct json_parser *p, int depth);

/* An object or an array: its members follow its token. */
static int scan_container(struct json_parser *p, int depth)
{
	int object = p->text[p->pos] == '{';
	char close = object ? '}' : ']';
	int t = new_token(p, object ? JSON_OBJECT : JSON_ARRAY);

	if (t < 0 || depth >= JSON_DEPTH_MAX)
		return -1;
	p->pos++;
	skip_space(p);
	if (p->pos < p->len && p->text[p->pos] == close) {
		p->pos++;
		goto done;
	}
	for (;;) {
		skip_space(p);
		if (object) {
			if (p->pos >= p->len || p->text[p->pos] != '"' || scan_string(p) < 0)
				return -1;
			skip_space(p);
			if (p->pos >= p->len || p->text[p->pos] != ':')
				return -1;
			p->pos++;
			skip_space(p);
		}
		if (scan_value(p, depth + 1) < 0)
			return -1;
		p->doc->tokens[t].size++;
		skip_space(p);
		if (p->pos >= p->len)
			return -1;
		if (p->text[p->pos] == close) {
			p->pos++;
			break;
		}
		if (p->text[p->pos] != ',')
			return -1;
		p->pos++;
	}
done:
	p->doc->tokens[t].end = p->pos;
	p->doc->tokens[t].next = p->doc->count;
	return t;
}

static int scan_value(struct json_parser *p, int depth)
{
	skip_space(p);
	if (p->pos >= p->len)
		return -1;
	switch (p->text[p->pos]) {
	case '{':
	case '[':
		return scan_container(p, depth);
	case '"':
		return scan_string(p);
	default:
		return scan_primitive(p);
	}
}

int json_parse(struct json_doc *doc, const char *text, size_t len)
{
	struct json_parser p = { .text = text, .len = len, .doc = doc };

	*doc = (struct json_doc){ .text = text };
	if (len > JSON_TEXT_MAX || scan_value(&p, 0) < 0)
		goto invalid;
	skip_space(&p);
	if (p.pos != len)
		goto invalid;
	return 0;
invalid:
	json_free(doc);
	return -1;
}

void json_free(struct json_doc *doc)
{
	free(doc->tokens);
	*doc = (struct json_doc){ 0 };
}

/* The value of member @key of the object at @object, or -1. */
int json_get(const struct json_doc *doc, int object, const char *key)
{
	char name[OCI_ID_MAX + 1];
	int k;

	if (object < 0 || object >= doc->count || doc->tokens[object].type != JSON_OBJECT)
		return -1;
	for (k = object + 1; k < doc->tokens[object].next; k = doc->tokens[k + 1].next) {
		int n = json_string(doc, k, name, sizeof(name));

		if (n >= 0 && (size_t)n == strlen(key) && memcmp(name, key, n) == 0)
			return k + 1;
	}
	return -1;
}

static int hex_value(const char *h)
{
	int v = 0;

	for (int k = 0; k < 4; k++) {
		char c = h[k];

		v = v * 16 + (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	return v;
}

static size_t put_utf8(char *out, unsigned int cp)
{
	size_t len = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
	static const unsigned char lead[] = { 0, 0, 0xc0, 0xe0, 0xf0 };

	if (len == 1) {
		out[0] = cp;
		return 1;
	}
	for (size_t k = len - 1; k > 0; k--, cp >>= 6)
		out[k] = 0x80 | (cp & 0x3f);
	out[0] = lead[len] | cp;
	return len;
}

int json_string(const struct json_doc *doc, int token, char *out, size_t size)
{
	const struct json_token *t;
	const char *s, *end;
	size_t n = 0;

	if (token < 0 || token >= doc->count || doc->tokens[token].type != JSON_STRING)
		return -1;
	t = &doc->tokens[token];
	for (s = doc->text + t->start, end = doc->text + t->end; s < end; s++) {
		char bytes[4];
		size_t len = 1;

		bytes[0] = *s;
		if (*s == '\\') {
			s++;
			switch (*s) {
			case 'b':
			case 'f':
			case 'n':
			case 'r':
			case 't':
				bytes[0] = "\b\f\n\r\t"[strchr("bfnrt", *s) - "bfnrt"];
				break;
			case 'u': {
				unsigned int cp = hex_value(s + 1);

				s += 4;
				if (cp >= 0xd800 && cp < 0xdc00 && end - s > 6 && s[1] == '\\' &&
				    s[2] == 'u') {
					unsigned int low = hex_value(s + 3);

					if (low >= 0xdc00 && low < 0xe000) {
						cp = 0x10000 + ((cp - 0xd800) << 10) +
						     (low - 0xdc00);
						s += 6;
					}
				}
				if (cp == 0)
					return -1;	/* no NUL in a C string */
				if (cp >= 0xd800 && cp < 0xe000)
					cp = 0xfffd;	/* a lone surrogate */
				len = put_utf8(bytes, cp);
				break;
			}
			default:	/* " \ / */
				bytes[0] = *s;
				break;
			}
		}
		if (n + len >= size)
			return -1;
		memcpy(out + n, bytes, len);
		n += len;
	}
	out[n] = '\0';
	return n;
}
