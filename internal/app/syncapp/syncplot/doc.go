// Package syncplot draws the pictures of a sync report as PNG files: a
// timeline of every sensor's messages with its gaps marked, and the
// histogram of the residual spread of the emitted sets.
package syncplot
