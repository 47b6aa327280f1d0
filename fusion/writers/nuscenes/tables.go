package nuscenes

// The record types below are the nuScenes v1.0 table rows, with the devkit's
// JSON field names. Empty tokens are written as "" as the devkit expects.

type sensorRec struct {
	Token    string `json:"token"`
	Channel  string `json:"channel"`
	Modality string `json:"modality"`
}

type calibratedSensorRec struct {
	Token           string       `json:"token"`
	SensorToken     string       `json:"sensor_token"`
	Translation     [3]float64   `json:"translation"`
	Rotation        [4]float64   `json:"rotation"`
	CameraIntrinsic [][3]float64 `json:"camera_intrinsic"`
}

type egoPoseRec struct {
	Token       string     `json:"token"`
	Timestamp   int64      `json:"timestamp"`
	Rotation    [4]float64 `json:"rotation"`
	Translation [3]float64 `json:"translation"`
}

type logRec struct {
	Token        string `json:"token"`
	Logfile      string `json:"logfile"`
	Vehicle      string `json:"vehicle"`
	DateCaptured string `json:"date_captured"`
	Location     string `json:"location"`
}

type mapRec struct {
	Token     string   `json:"token"`
	LogTokens []string `json:"log_tokens"`
	Category  string   `json:"category"`
	Filename  string   `json:"filename"`
}

type sceneRec struct {
	Token            string `json:"token"`
	LogToken         string `json:"log_token"`
	NbrSamples       int    `json:"nbr_samples"`
	FirstSampleToken string `json:"first_sample_token"`
	LastSampleToken  string `json:"last_sample_token"`
	Name             string `json:"name"`
	Description      string `json:"description"`
}

type sampleRec struct {
	Token      string `json:"token"`
	Timestamp  int64  `json:"timestamp"`
	Prev       string `json:"prev"`
	Next       string `json:"next"`
	SceneToken string `json:"scene_token"`
}

type sampleDataRec struct {
	Token                 string `json:"token"`
	SampleToken           string `json:"sample_token"`
	EgoPoseToken          string `json:"ego_pose_token"`
	CalibratedSensorToken string `json:"calibrated_sensor_token"`
	Timestamp             int64  `json:"timestamp"`
	FileFormat            string `json:"fileformat"`
	IsKeyFrame            bool   `json:"is_key_frame"`
	Height                int    `json:"height"`
	Width                 int    `json:"width"`
	Filename              string `json:"filename"`
	Prev                  string `json:"prev"`
	Next                  string `json:"next"`
}

// tableNames are the 13 tables NuScenes() loads, all written even when empty.
var tableNames = []string{
	"attribute", "calibrated_sensor", "category", "ego_pose", "instance", "log", "map",
	"sample", "sample_annotation", "sample_data", "scene", "sensor", "visibility",
}
