package main

import "github.com/spf13/cobra"

func newInfoCommand(g *globalOptions) *cobra.Command { return &cobra.Command{Use: "info"} }
func newCatCommand(g *globalOptions) *cobra.Command  { return &cobra.Command{Use: "cat"} }
func newDemoCommand(g *globalOptions) *cobra.Command { return &cobra.Command{Use: "demo"} }
