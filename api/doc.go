// Package api serves facegate's two vendor-compatible HTTP contracts — Verifik
// "Compare 1:1 Live" (POST /v2/face-recognition/compare-live) and OkayFace
// "1:1 Face Verification V2-2" (POST /api/faceid/v2-2/verify), specified in
// ../shared/api/CONTRACTS.md and described in openapi.json — on top of a
// face.Verifier, plus /healthz, /readyz, /metrics and /openapi.json.
//
// The package parses and validates requests, authenticates them, bounds
// their size and how many run at once, maps the pipeline's result and
// errors to each vendor's fields and bodies, and logs one JSON line per
// request. Nothing a client sends (images, credentials) is logged.
//
// Decisions where the vendors' documentation is silent:
//
//   - Verifik validation follows Joi: schema order (probe, gallery, os,
//     search_mode, liveness_min_score, compare_min_score), first failure
//     only, numeric strings accepted for numbers, unknown fields ignored.
//     A body that is not JSON is 400 {"message":"invalid_json","code":"ERROR"}.
//   - Verifik quota exhausted: 429 {"message":"quota_exceeded","code":"TOO_MANY_REQUESTS"}.
//   - Verifik face errors (412 face_not_found / too_many_faces) name the
//     image in an "image" field: "probe" or "gallery[i]".
//   - OkayFace: imageBest is the probe (liveness runs on it, several faces
//     are TOO_MANY_FACES); imageIdCard is a one-image gallery (largest face).
//     Liveness threshold 0.5, match threshold 0.75 (confidence 75).
//   - OkayFace quality codes (FACE_TOO_SMALL, FACE_ANGLE_TOO_LARGE, ...)
//     replace the result only when liveness could not be judged (face
//     cropped, at the border or too close); otherwise they are listed in
//     facegate.failed_checks and lower imageBestLiveness.quality.
//     Config.OkayFaceQualityErrors makes every coded failure an error.
//   - OkayFace extra errors: 400 MALFORMED_REQUEST (body neither JSON nor a
//     form), 500 INTERNAL_ERROR, 503 SERVER_BUSY, all with "request_id":null.
//     Config.OkayFaceErrors200 turns every OkayFace error status into 200.
//   - OkayFace request_id is the client's X-Request-Id when that is a UUID
//     v4, else a new UUID v4; X-Request-Id is echoed on every response.
//   - Both: 503 with Retry-After when every pipeline slot and queue place is
//     taken, the request deadline passes, or the models are not ready yet.
//     Validation and authentication do not need a slot.
//   - Quotas count authenticated calls (valid or not) in memory: they
//     survive credential reloads and reset on restart.
package api
