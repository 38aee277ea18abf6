using AmiSim.Host;

return await AmiSimApp.Create().RunAsync(args);
