// SPDX-License-Identifier: GPL-2.0
/*
 * names.c - what the engine says about a container (its engine, name,
 * image and Kubernetes pod), read from what the engine wrote for the
 * runtime, and the text of a mapping record's fields.
 *
 * Where each engine keeps them (Debian 12's engines, and Kubernetes):
 *  - containerd's CRI plugin: annotations io.kubernetes.cri.container-name,
 *    .image-name, .sandbox-name, .sandbox-namespace, .sandbox-uid;
 *  - CRI-O: io.kubernetes.container.name, io.kubernetes.cri-o.ImageName,
 *    io.kubernetes.pod.name, .namespace, .uid;
 *  - podman (io.container.manager=libpod): none in config.json; its
 *    containers/storage keeps "names" and the metadata's "image-name" in
 *    containers.json, two directories above the bundle;
 *  - Docker: its shim's bundle is containerd's, in namespace "moby";
 *    config.v2.json ("Name", "Config"."Image") is in the directory whose
 *    "hostname" file the container mounts on /etc/hostname;
 *  - containerd alone (ctr): the bundle's directory, no name or image.
 */
#include <stdio.h>
#include <string.h>

#include "engine.h"

#define CONTAINERD_TASKS "/io.containerd.runtime.v2.task/"

static void copy_text(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src);
}

/* Annotation @key into @out (of NAME_TEXT_MAX), if it is there and fits. */
static int annotation(const struct json_doc *config, const char *key, char *out)
{
	int t = json_get(config, json_get(config, 0, "annotations"), key);

	if (json_string(config, t, out, NAME_TEXT_MAX) < 0) {
		out[0] = '\0';
		return 0;
	}
	return 1;
}

/* The containerd namespace of a bundle .../io.containerd.runtime.v2.task/NS/ID. */
static int containerd_namespace(const char *bundle, char *ns, size_t size)
{
	const char *at = strstr(bundle, CONTAINERD_TASKS), *end;

	if (!at)
		return 0;
	at += strlen(CONTAINERD_TASKS);
	end = strchr(at, '/');
	if (!end || (size_t)(end - at) >= size)
		return 0;
	memcpy(ns, at, end - at);
	ns[end - at] = '\0';
	return 1;
}

void names_from_config(const struct json_doc *config, const char *bundle,
		       const char *runtime, struct container_names *names)
{
	char value[NAME_TEXT_MAX], ns[NAME_TEXT_MAX];

	*names = (struct container_names){ 0 };
	if (config && annotation(config, "io.kubernetes.cri.container-type", value)) {
		copy_text(names->engine, sizeof(names->engine), "containerd");
		annotation(config, "io.kubernetes.cri.container-name", names->name);
		annotation(config, "io.kubernetes.cri.image-name", names->image);
		annotation(config, "io.kubernetes.cri.sandbox-name", names->pod);
		annotation(config, "io.kubernetes.cri.sandbox-namespace", names->pod_namespace);
		annotation(config, "io.kubernetes.cri.sandbox-uid", names->pod_uid);
		return;
	}
	if (config && annotation(config, "io.container.manager", value) &&
	    strcmp(value, "libpod") == 0) {
		copy_text(names->engine, sizeof(names->engine), "podman");
		return;
	}
	if (config && annotation(config, "io.kubernetes.pod.name", names->pod)) {
		copy_text(names->engine, sizeof(names->engine), "cri-o");
		annotation(config, "io.kubernetes.container.name", names->name);
		annotation(config, "io.kubernetes.cri-o.ImageName", names->image);
		annotation(config, "io.kubernetes.pod.namespace", names->pod_namespace);
		annotation(config, "io.kubernetes.pod.uid", names->pod_uid);
		return;
	}
	if (containerd_namespace(bundle, ns, sizeof(ns))) {
		copy_text(names->engine, sizeof(names->engine),
			  strcmp(ns, "moby") == 0 ? "docker" : "containerd");
		return;
	}
	copy_text(names->engine, sizeof(names->engine), runtime);
}

/* The directory of @path (up to its last '/') with @file after it. */
static int beside(const char *path, int up, const char *file, char *out, size_t size)
{
	size_t len = strlen(path);
	int n;

	while (up-- > 0) {
		while (len > 0 && path[len - 1] == '/')
			len--;
		while (len > 0 && path[len - 1] != '/')
			len--;
	}
	if (len == 0)
		return -1;
	n = snprintf(out, size, "%.*s%s", (int)len, path, file);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int names_file(const struct json_doc *config, const char *bundle,
	       const struct container_names *names, char *path, size_t size)
{
	char source[4096];
	int mounts, m;

	if (strcmp(names->engine, "podman") == 0)
		/* .../overlay-containers/ID/userdata -> .../overlay-containers/ */
		return beside(bundle, 2, "containers.json", path, size);
	if (strcmp(names->engine, "docker") != 0 || !config)
		return -1;
	mounts = json_get(config, 0, "mounts");
	if (mounts < 0 || config->tokens[mounts].type != JSON_ARRAY)
		return -1;
	for (m = mounts + 1; m < config->tokens[mounts].next; m = config->tokens[m].next) {
		char destination[32];

		if (json_string(config, json_get(config, m, "destination"), destination,
				sizeof(destination)) < 0 ||
		    strcmp(destination, "/etc/hostname") != 0)
			continue;
		if (json_string(config, json_get(config, m, "source"), source,
				sizeof(source)) <= 0 || source[0] != '/')
			return -1;
		return beside(source, 1, "config.v2.json", path, size);
	}
	return -1;
}

int names_from_file(const struct json_doc *file, const char *oci_id,
		    struct container_names *names)
{
	char value[OCI_ID_MAX + 1];
	int c;

	if (!file->count)
		return 0;
	if (file->tokens[0].type == JSON_OBJECT) {
		/* Docker's config.v2.json: "Name" is "/web". */
		if (json_string(file, json_get(file, 0, "Name"), names->name,
				sizeof(names->name)) > 1 && names->name[0] == '/')
			memmove(names->name, names->name + 1, strlen(names->name));
		json_string(file, json_get(file, json_get(file, 0, "Config"), "Image"),
			    names->image, sizeof(names->image));
		return 1;
	}
	if (file->tokens[0].type != JSON_ARRAY)
		return 0;
	/* containers.json: [{"id", "names": [...], "metadata": "{...}"}] */
	for (c = 1; c < file->tokens[0].next; c = file->tokens[c].next) {
		char metadata[4096];
		struct json_doc meta;
		int len, names_at;

		if (json_string(file, json_get(file, c, "id"), value, sizeof(value)) < 0 ||
		    strcmp(value, oci_id) != 0)
			continue;
		names_at = json_get(file, c, "names");
		if (names_at >= 0 && file->tokens[names_at].type == JSON_ARRAY &&
		    file->tokens[names_at].size > 0)
			json_string(file, names_at + 1, names->name, sizeof(names->name));
		len = json_string(file, json_get(file, c, "metadata"), metadata, sizeof(metadata));
		if (len > 0 && json_parse(&meta, metadata, len) == 0) {
			json_string(&meta, json_get(&meta, 0, "image-name"), names->image,
				    sizeof(names->image));
			json_free(&meta);
		}
		return 1;
	}
	return 0;
}

int audit_field_append(char *buf, size_t size, const char *name, const char *value)
{
	size_t used = strlen(buf), need = strlen(name) + 2;
	int plain = 1;
	const unsigned char *c;
	char *out;

	for (c = (const unsigned char *)value; *c; c++)
		if (*c == '"' || *c < 0x21 || *c > 0x7e)
			plain = 0;
	need += plain ? strlen(value) + 2 : 2 * strlen(value);
	if (used + need + 1 > size)
		return -1;
	out = buf + used;
	out += sprintf(out, " %s=", name);
	if (plain) {
		sprintf(out, "\"%s\"", value);
		return 0;
	}
	for (c = (const unsigned char *)value; *c; c++)
		out += sprintf(out, "%02X", *c);
	return 0;
}
