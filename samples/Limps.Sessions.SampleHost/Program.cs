using Limps.Sessions.SampleHost;

SampleHostApp.Create(args).Run();
