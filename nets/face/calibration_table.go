package face

// Fitted score calibrations.
//
// mobilefacenet128_paddle (Accurate mode: YuNet at 640, flip-averaged
// embedding), produced by
//
//	facegate eval lfw --root ../shared/eval/lfw/lfw-deepfunneled \
//	    --pairs ../shared/eval/lfw/pairsDevTest.txt \
//	    --train ../shared/eval/lfw/pairsDevTrain.txt --fit
//
// The fit uses only the training file's people: the impostor set is every
// cross-identity pair among 2,000 of the 3,443 pairsDevTrain images
// (1,998,269 pairs). Anchors: score 0.85 (Verifik's default threshold) at
// the cosine with FMR 1e-4 there (0.3823), score 0.75 (OkayFace's 75) at
// FMR 1e-3 (0.3183). Measured on pairsDevTest, whose people the fit never
// saw (1,197,943 cross-identity impostor pairs among its 1,549 images; 500
// genuine pairs):
//
//	score  cosine  FMR       FNMR
//	0.50   0.2076  2.1e-2    0.8 %
//	0.67   0.2790  3.3e-3    1.2 %
//	0.75   0.3183  1.0e-3    1.6 %   OkayFace threshold (75)
//	0.85   0.3823  1.4e-4    3.0 %   Verifik default
//	0.90   0.4289  2.4e-5    5.8 %
//	0.95   0.5042  8.3e-7   11.0 %
func init() {
	calibrations[DefaultEmbedder] = Calibration{Model: DefaultEmbedder, A: 9.927148878631867, C: 0.20761254276967825}
}
