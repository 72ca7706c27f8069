return Vmap.Sim.Cli.Run(args);
