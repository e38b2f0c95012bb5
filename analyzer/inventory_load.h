/*
 * inventory_load.h - private interface between the inventory store
 * (inventory.c) and its file loaders (inventory_k8s.c, inventory_native.c,
 * inventory_docker.c). Not installed; only analyzer/ includes it.
 *
 * Every loader adds what one file declares to a fresh inventory `out`
 * (which the caller merges into the real one only when the whole file
 * loaded), reports unknown fields through warn and fills err with
 * file:line:column on failure.
 */
#ifndef SEGWATCH_INVENTORY_LOAD_H
#define SEGWATCH_INVENTORY_LOAD_H

#include "segwatch/inventory.h"

#include "segwatch/yamldoc.h"

/* Reads path, detects its form and calls the matching loader. */
enum sw_status sw_inv_load_dispatch(struct sw_inventory *out, const char *path,
                                    sw_warn_fn warn, void *warn_ctx,
                                    struct sw_err *err) SW_WUR;

/* Kubernetes objects (Namespace, Pod, workloads; List or multi-document):
 * every non-null document of doc. */
enum sw_status sw_inv_load_k8s(struct sw_inventory *out, const struct sw_ydoc *doc,
                               sw_warn_fn warn, void *warn_ctx,
                               struct sw_err *err) SW_WUR;

/* segwatch's native form: a document with `namespaces:` and `endpoints:`. */
enum sw_status sw_inv_load_native(struct sw_inventory *out, const struct sw_ydoc *doc,
                                  const struct sw_ynode *root, sw_warn_fn warn,
                                  void *warn_ctx, struct sw_err *err) SW_WUR;

/* `docker network inspect` output: a sequence of networks with Containers. */
enum sw_status sw_inv_load_docker(struct sw_inventory *out, const struct sw_ydoc *doc,
                                  const struct sw_ynode *root, sw_warn_fn warn,
                                  void *warn_ctx, struct sw_err *err) SW_WUR;

#endif
