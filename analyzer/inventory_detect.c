/*
 * inventory_detect.c - reads an inventory file and hands it to the loader
 * of its form, decided by the first non-empty document:
 *   - a map with `kind` or `apiVersion`: Kubernetes objects;
 *   - a map with `namespaces` or `endpoints`: segwatch's native form;
 *   - a sequence of maps with `Containers` (or `IPAM`): docker network inspect.
 * Every document of a file must have the same form.
 */
#include "inventory_load.h"
#include "segwatch/yamldoc.h"

enum inv_form { FORM_NONE, FORM_K8S, FORM_NATIVE, FORM_DOCKER };

static enum inv_form form_of(const struct sw_ynode *root)
{
	if (sw_ynode_is_map(root)) {
		if (sw_ymap_get(root, "kind") != NULL || sw_ymap_get(root, "apiVersion") != NULL)
			return FORM_K8S;
		if (sw_ymap_get(root, "namespaces") != NULL || sw_ymap_get(root, "endpoints") != NULL)
			return FORM_NATIVE;
	}
	if (sw_ynode_is_seq(root)) {
		if (root->n == 0)
			return FORM_DOCKER;
		const struct sw_ynode *first = sw_yseq_item(root, 0);
		if (sw_ymap_get(first, "Containers") != NULL || sw_ymap_get(first, "IPAM") != NULL)
			return FORM_DOCKER;
	}
	return FORM_NONE;
}

static const char *const form_names[] = {
	"", "Kubernetes objects", "the native inventory form", "docker network inspect output",
};

static enum sw_status classify(const struct sw_ydoc *doc, enum inv_form *out,
                               struct sw_err *err)
{
	enum inv_form form = FORM_NONE;

	for (size_t i = 0; i < doc->n_docs; i++) {
		const struct sw_ynode *root = doc->docs[i];
		enum inv_form f;
		if (sw_ynode_is_null(root))
			continue;
		f = form_of(root);
		if (f == FORM_NONE)
			return sw_yerror(doc, root, err, SW_ERR_PARSE,
			                 "expected an inventory: Kubernetes objects (with kind:), the native form (namespaces:, endpoints:) or docker network inspect output");
		if (form != FORM_NONE && f != form)
			return sw_yerror(doc, root, err, SW_ERR_PARSE,
			                 "expected %s like the rest of the file, got %s",
			                 form_names[form], form_names[f]);
		form = f;
	}
	*out = form;
	return SW_OK;
}

enum sw_status sw_inv_load_dispatch(struct sw_inventory *out, const char *path,
                                    sw_warn_fn warn, void *warn_ctx,
                                    struct sw_err *err)
{
	struct sw_ydoc *doc = NULL;
	enum inv_form form = FORM_NONE;
	enum sw_status st = sw_ydoc_load_file(path, NULL, &doc, err);

	if (st != SW_OK)
		return st;
	st = classify(doc, &form, err);
	if (st == SW_OK && form == FORM_K8S)
		st = sw_inv_load_k8s(out, doc, warn, warn_ctx, err);
	for (size_t i = 0; st == SW_OK && i < doc->n_docs; i++) {
		if (sw_ynode_is_null(doc->docs[i]))
			continue;
		if (form == FORM_NATIVE)
			st = sw_inv_load_native(out, doc, doc->docs[i], warn, warn_ctx, err);
		else if (form == FORM_DOCKER)
			st = sw_inv_load_docker(out, doc, doc->docs[i], warn, warn_ctx, err);
	}
	if (st == SW_OK && form == FORM_NONE)
		sw_ywarn(doc, NULL, warn, warn_ctx, "the file declares nothing");
	sw_ydoc_free(doc);
	return st;
}
