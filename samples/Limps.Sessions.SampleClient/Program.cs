Console.WriteLine("Limps.Sessions sample client");
