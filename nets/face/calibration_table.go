package face

// PLACEHOLDER constants until `facegate eval lfw` fits them.
func init() {
	calibrations[DefaultEmbedder] = FitCalibration(DefaultEmbedder, 0.45, 0.85, 0.35, 0.75)
}
