/* Verification: the one function every front end calls. */
#include <string.h>

#include <sodium.h>

#include "internal.h"

enum ak_result ak_key_policy(const struct ak_key *k, const struct ak_verify_req *req,
                             int64_t now_ms)
{
	if (k->state == AK_STATE_REVOKED)
		return AK_REVOKED;
	if (k->state != AK_STATE_ACTIVE)
		return AK_DISABLED;
	if (k->expires_ms != 0 && now_ms >= k->expires_ms)
		return AK_EXPIRED;
	if (!ak_service_allowed(k, req->service))
		return AK_SERVICE_DENIED;
	if (!ak_source_allowed(k, req->source))
		return AK_SOURCE_DENIED;
	return AK_VALID;
}

static void res_from_key(struct ak_verify_res *res, const struct ak_key *k)
{
	memcpy(res->owner, k->owner, sizeof(res->owner));
	res->expires_ms = k->expires_ms;
}

enum ak_result ak_verify(const struct ak_store *st, const struct ak_verify_req *req,
                         struct ak_verify_res *res)
{
	char secret[AK_SECRET_LEN + 1];
	uint8_t hash[AK_HASH_LEN];
	struct ak_key k;
	int rc;

	if (res == NULL)
		return AK_UNAVAILABLE;
	memset(res, 0, sizeof(*res));
	res->result = AK_UNAVAILABLE;
	if (st == NULL || req == NULL)
		return res->result;
	res->result = AK_MALFORMED;
	if (req->user == NULL || req->key == NULL ||
	    ak_key_parse(res->id, secret, req->key, req->key_len, st->meta.prefix) != AK_VALID)
		goto out;
	rc = ak_store_get_key(st, &k, res->id, NULL);
	res->result = rc == AK_E_NOENT ? AK_NOT_FOUND : AK_UNAVAILABLE;
	if (rc != AK_OK)
		goto out;
	ak_key_hash(hash, st->meta.store_key, res->id, secret);
	/* MUST be constant time; a wrong secret for a real id is NOT_FOUND. */
	res->result = AK_NOT_FOUND;
	if (sodium_memcmp(hash, k.hash, AK_HASH_LEN) != 0)
		goto out;
	res_from_key(res, &k);
	res->result = AK_WRONG_USER;
	if (strcmp(k.owner, req->user) != 0)
		goto out;
	res->result = ak_key_policy(&k, req, req->now_ms ? req->now_ms : ak_now_ms());
out:
	sodium_memzero(secret, sizeof(secret));
	sodium_memzero(hash, sizeof(hash));
	return res->result;
}

enum ak_result ak_verify_path(const char *path, uid_t trusted_uid, const struct ak_verify_req *req,
                              struct ak_verify_res *res, struct ak_error *e)
{
	struct ak_store *st = NULL;
	enum ak_result r;

	if (res == NULL)
		return AK_UNAVAILABLE;
	memset(res, 0, sizeof(*res));
	res->result = AK_UNAVAILABLE;
	if (ak_store_open(&st, path, trusted_uid, e) != 0)
		return AK_UNAVAILABLE;
	r = ak_verify(st, req, res);
	if (r == AK_UNAVAILABLE)
		ak_err_set(e, AK_E_CORRUPT, "%s: key record unreadable", path);
	ak_store_close(st);
	return r;
}

enum ak_result ak_recheck_path(const char *path, uid_t trusted_uid, const char *id,
                               const struct ak_verify_req *req, struct ak_verify_res *res,
                               struct ak_error *e)
{
	struct ak_store *st = NULL;
	struct ak_key k;
	int rc;

	if (res == NULL)
		return AK_UNAVAILABLE;
	memset(res, 0, sizeof(*res));
	res->result = AK_UNAVAILABLE;
	if (req == NULL || req->user == NULL || !ak_id_valid(id))
		return res->result = AK_MALFORMED;
	memcpy(res->id, id, AK_ID_LEN);
	if (ak_store_open(&st, path, trusted_uid, e) != 0)
		return AK_UNAVAILABLE;
	rc = ak_store_get_key(st, &k, id, e);
	if (rc == AK_OK) {
		res_from_key(res, &k);
		if (strcmp(k.owner, req->user) != 0)
			res->result = AK_WRONG_USER;
		else
			res->result =
			        ak_key_policy(&k, req, req->now_ms ? req->now_ms : ak_now_ms());
	} else {
		res->result = rc == AK_E_NOENT ? AK_NOT_FOUND : AK_UNAVAILABLE;
	}
	ak_store_close(st);
	return res->result;
}
