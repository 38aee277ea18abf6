using AmiSim.Host.Cli;
using AmiSim.Host.Run;

// This process is the amisim command itself: a run may size the garbage collector's heap for its fleet.
HeapBudget.OwnsProcess = true;
return await AmiSimApp.Create().RunAsync(args);
